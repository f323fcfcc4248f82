package io.trendstream.spark;

/** Strict UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF), as Python decodes. */
final class Utf8 {
  private Utf8() {}

  static boolean valid(byte[] b) {
    int i = 0;
    int n = b.length;
    while (i < n) {
      int c = b[i] & 0xff;
      if (c < 0x80) {
        i++;
        continue;
      }
      int len;
      int min;
      if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        min = 0x80;
      } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        min = 0x800;
      } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        min = 0x10000;
      } else {
        return false;
      }
      if (i + len > n) return false;
      int cp = c & (0xff >> (len + 1));
      for (int k = 1; k < len; k++) {
        int cont = b[i + k] & 0xff;
        if ((cont & 0xc0) != 0x80) return false;
        cp = (cp << 6) | (cont & 0x3f);
      }
      if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
      i += len;
    }
    return true;
  }

  static boolean hasNul(byte[] b) {
    for (byte x : b) {
      if (x == 0) return true;
    }
    return false;
  }
}
