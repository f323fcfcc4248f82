package io.trendstream.spark;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.text.Normalizer;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.api.java.UDF1;

/**
 * Kafka record bytes → the validator's verdict and the event's fields, as one Spark row:
 * {@code trendstream.core.schema.parse_event}'s rules (shape dispatch, check order, reason
 * codes) on a Jackson tree, so the analytics queries never move a record into Python.
 *
 * <p>Row: reason (null when valid, "?" when doubtful), detail, kind, id, author_id,
 * created_at, text, hashtags, user_id, tweet_id, type ({@code PARSED} in stream/parse.py).
 *
 * <p>Python's character classes ({@code \w}, {@code str.isspace}, characters NFC may change)
 * come from the Python side as code-point ranges, so both sides agree on them. Judgements
 * Java cannot make exactly are "doubtful" and left to {@code parse_event}: timestamps in
 * other than the strict ISO / v1.1 / epoch-ms forms, JSON beyond Jackson's nesting or
 * number limits, text whose NFC form matters and may differ, a follow's odd tweet_id.
 */
public final class RecordParser implements UDF1<byte[], Row> {
  private static final long serialVersionUID = 1L;

  static final String DOUBT = "?";
  private static final int MAX_DEPTH = 400; // below Python's recursion limit: deeper is doubtful
  private static final int MAX_NUMBER_CHARS = 4300; // Python's int-string limit
  private static final List<String> ENGAGEMENT_TYPES = List.of("like", "retweet", "reply", "quote", "follow");
  private static final List<String> REFERENCE_TYPES = List.of("retweeted", "quoted", "replied_to");
  private static final Pattern ISO = Pattern.compile(
      "(\\d{4})-(\\d{2})-(\\d{2})T(\\d{2}):(\\d{2}):(\\d{2})(?:\\.(\\d{3}|\\d{6}))?(Z|[+-](?:0\\d|1[0-7]):[0-5]\\d)?");
  private static final Pattern V1 = Pattern.compile(
      "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\\d{2}) "
          + "(\\d{2}):(\\d{2}):(\\d{2}) ([+-])(0\\d|1[0-7])([0-5]\\d) (\\d{4})");
  private static final String MONTHS = "JanFebMarAprMayJunJulAugSepOctNovDec";

  private final int maxBytes;
  private final int maxTextChars;
  private final Instant earliest;
  private final long futureSlackS;
  private final BitSet word;
  private final BitSet space;
  private final BitSet nfcUnstable;
  private transient ObjectMapper mapper;

  /**
   * The settings' limits (core/settings.py {@code Limits}: the same object parse_event takes)
   * and Python's classes as "a-b,c,d-e" hex code-point ranges.
   */
  public RecordParser(
      int maxBytes, int maxTextChars, long earliestEpochSecond, long futureSlackS,
      String word, String space, String nfcUnstable) {
    this.maxBytes = maxBytes;
    this.maxTextChars = maxTextChars;
    this.earliest = Instant.ofEpochSecond(earliestEpochSecond);
    this.futureSlackS = futureSlackS;
    this.word = ranges(word);
    this.space = ranges(space);
    this.nfcUnstable = ranges(nfcUnstable);
  }

  private static BitSet ranges(String spec) {
    BitSet set = new BitSet(0x110000);
    for (String part : spec.split(",")) {
      if (part.isEmpty()) continue;
      int dash = part.indexOf('-');
      int a = Integer.parseInt(dash < 0 ? part : part.substring(0, dash), 16);
      int b = dash < 0 ? a : Integer.parseInt(part.substring(dash + 1), 16);
      set.set(a, b + 1);
    }
    return set;
  }

  private ObjectMapper mapper() {
    if (mapper == null) {
      JsonFactory factory = JsonFactory.builder()
          .streamReadConstraints(StreamReadConstraints.builder()
              .maxNestingDepth(MAX_DEPTH).maxNumberLength(MAX_NUMBER_CHARS).build())
          .build();
      mapper = new ObjectMapper(factory).enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }
    return mapper;
  }

  /** A refusal: the first failing check's reason, as parse_event raises it. */
  private static final class Refused extends Exception {
    final String reason;

    Refused(String reason, String detail) {
      super(detail, null, false, false);
      this.reason = reason;
    }
  }

  private static Refused refuse(String reason, String detail) {
    return new Refused(reason, detail);
  }

  private static Refused doubt() {
    return new Refused(DOUBT, "judged by parse_event");
  }

  @Override
  public Row call(byte[] value) {
    try {
      return judge(value);
    } catch (Refused r) {
      return RowFactory.create(r.reason, r.getMessage(), null, null, null, null, null, null, null, null, null);
    }
  }

  private Row judge(byte[] value) throws Refused {
    if (value == null) throw refuse("missing_field", "record has no value");
    if (value.length > maxBytes) {
      throw refuse("oversized_record", value.length + " bytes > limit " + maxBytes);
    }
    if (!Utf8.valid(value)) throw refuse("invalid_utf8", "not UTF-8");
    // A raw NUL is never JSON (Jackson would take it for UTF-16); nor is a BOM for Python.
    if (Utf8.hasNul(value)) throw refuse("invalid_json", "NUL byte");
    if (value.length >= 3 && (value[0] & 0xff) == 0xef && (value[1] & 0xff) == 0xbb && (value[2] & 0xff) == 0xbf) {
      throw refuse("invalid_json", "Unexpected UTF-8 BOM");
    }
    JsonNode obj;
    try {
      obj = mapper().readTree(value);
    } catch (StreamConstraintsException e) {
      throw doubt();
    } catch (JsonProcessingException e) {
      throw refuse("invalid_json", clip(e.getOriginalMessage(), 200));
    } catch (IOException e) {
      throw refuse("invalid_json", clip(e.getMessage(), 200));
    }
    if (obj == null || obj.isMissingNode()) throw refuse("invalid_json", "empty record");
    if (!obj.isObject()) throw refuse("not_an_object", "got " + pythonType(obj));
    JsonNode kind = obj.get("kind");
    if (textIs(kind, "engagement") || (obj.has("type") && obj.has("user_id") && !obj.has("text"))) {
      return engagement(obj);
    }
    JsonNode data = obj.get("data");
    if (data != null && data.isObject()) return v2(data);
    if (textIs(kind, "tweet")) return canonical(obj);
    if (obj.has("id_str") || obj.has("user") || obj.has("full_text")) return v1(obj);
    if (obj.has("text") || obj.has("author_id")) return v2(obj);
    throw refuse("unknown_format", "no known shape");
  }

  // --- the shapes ------------------------------------------------------------------------

  private Row engagement(JsonNode obj) throws Refused {
    JsonNode etype = require(obj, "type");
    if (!etype.isTextual() || !ENGAGEMENT_TYPES.contains(etype.textValue())) {
      throw refuse("bad_value", "engagement type " + clip(etype.isTextual() ? etype.textValue() : etype.toString(), 40));
    }
    String type = etype.textValue();
    String tweetId;
    if (type.equals("follow")) {
      id(require(obj, "target_user_id"), "target_user_id");
      tweetId = pythonStrOrEmpty(obj.get("tweet_id"));
    } else {
      tweetId = id(require(obj, "tweet_id"), "tweet_id");
    }
    String id = id(require(obj, "id"), "id");
    String userId = id(require(obj, "user_id"), "user_id");
    Instant createdAt = time(require(obj, "created_at"));
    return RowFactory.create(null, null, "engagement", id, null, createdAt, null, null, userId, tweetId, type);
  }

  private Row v2(JsonNode obj) throws Refused {
    JsonNode note = obj.get("note_tweet");
    String text = text(note != null && note.isObject() ? note.get("text") : require(obj, "text"));
    String authorId = id(require(obj, "author_id"), "author_id");
    JsonNode entities = obj.get("entities");
    List<String> hashtags;
    if (isNone(entities)) {
      hashtags = extractHashtags(text);
    } else {
      hashtags = normTags(tags(entities, "hashtags", "tag"), text);
      tags(entities, "mentions", "username");
      tags(entities, "urls", "expanded_url");
    }
    JsonNode refs = obj.get("referenced_tweets");
    if (refs != null && refs.isArray() && refs.size() > 0 && refs.get(0).isObject()) {
      JsonNode refType = refs.get(0).get("type");
      if (refType == null || !refType.isTextual() || !REFERENCE_TYPES.contains(refType.textValue())) {
        throw refuse("bad_value", "referenced_tweets.type " + (refType == null ? "None" : clip(refType.toString(), 40)));
      }
      id(refs.get(0).get("id"), "referenced_tweets.id");
    } else if (!isNone(refs) && !refs.isArray()) {
      throw refuse("wrong_type", "referenced_tweets must be a list");
    }
    String id = id(require(obj, "id"), "id");
    Instant createdAt = time(require(obj, "created_at"));
    lang(obj.get("lang"));
    metrics(obj.get("public_metrics"));
    return tweet(id, authorId, createdAt, text, hashtags);
  }

  private Row v1(JsonNode obj) throws Refused {
    JsonNode user = obj.get("user");
    if (user == null || !user.isObject()) throw refuse("missing_field", "user");
    JsonNode ext = obj.get("extended_tweet");
    boolean extObj = ext != null && ext.isObject();
    JsonNode textValue = extObj && ext.has("full_text") ? ext.get("full_text")
        : obj.has("full_text") ? obj.get("full_text") : obj.get("text");
    if (isNone(textValue)) throw refuse("missing_field", "text");
    String text = text(textValue);
    JsonNode entities = extObj ? ext.get("entities") : obj.get("entities");
    JsonNode retweeted = obj.get("retweeted_status");
    if (retweeted != null && retweeted.isObject()) {
      id(retweeted.get("id_str"), "retweeted_status");
    } else if (truthy(obj.get("quoted_status_id_str"))) {
      id(obj.get("quoted_status_id_str"), "quoted_status_id_str");
    } else if (truthy(obj.get("in_reply_to_status_id_str"))) {
      id(obj.get("in_reply_to_status_id_str"), "in_reply_to");
    }
    JsonNode ident = obj.has("id_str") ? obj.get("id_str") : obj.get("id");
    if (isNone(ident)) throw refuse("missing_field", "id_str");
    String id = id(ident, "id_str");
    Instant createdAt = time(require(obj, "created_at"));
    String authorId = id(user.has("id_str") ? user.get("id_str") : user.get("id"), "user.id_str");
    lang(obj.get("lang"));
    List<String> hashtags = normTags(tags(entities, "hashtags", "text"), text);
    tags(entities, "user_mentions", "screen_name");
    tags(entities, "urls", "expanded_url");
    counts(obj.get("favorite_count"), obj.get("retweet_count"), obj.get("reply_count"), obj.get("quote_count"));
    return tweet(id, authorId, createdAt, text, hashtags);
  }

  private Row canonical(JsonNode obj) throws Refused {
    String text = text(require(obj, "text"));
    JsonNode given = obj.get("hashtags");
    if (!isNone(given)) {
      boolean strings = given.isArray();
      for (int i = 0; strings && i < given.size(); i++) strings = given.get(i).isTextual();
      if (!strings) throw refuse("wrong_type", "hashtags must be a list of strings");
    }
    JsonNode mentions = obj.get("mentions");
    JsonNode urls = obj.get("urls");
    if ((truthy(mentions) && !mentions.isArray()) || (truthy(urls) && !urls.isArray())) {
      throw refuse("wrong_type", "mentions/urls must be lists");
    }
    String id = id(require(obj, "id"), "id");
    Instant createdAt = time(require(obj, "created_at"));
    String authorId = id(require(obj, "author_id"), "author_id");
    lang(obj.get("lang"));
    List<String> hashtags;
    if (isNone(given)) {
      hashtags = extractHashtags(text);
    } else {
      List<String> raw = new ArrayList<>(given.size());
      given.forEach(tag -> raw.add(tag.textValue()));
      hashtags = normTags(raw, text);
    }
    metrics(obj.get("metrics"));
    return tweet(id, authorId, createdAt, text, hashtags);
  }

  private static Row tweet(String id, String authorId, Instant createdAt, String text, List<String> hashtags) {
    return RowFactory.create(null, null, "tweet", id, authorId, createdAt, text,
        hashtags.toArray(new String[0]), null, null, null);
  }

  // --- field rules (schema.py's helpers of the same names) ----------------------------------

  private static boolean isNone(JsonNode node) {
    return node == null || node.isNull();
  }

  private static JsonNode require(JsonNode obj, String name) throws Refused {
    JsonNode node = obj.get(name);
    if (isNone(node)) throw refuse("missing_field", name);
    return node;
  }

  private static boolean textIs(JsonNode node, String value) {
    return node != null && node.isTextual() && node.textValue().equals(value);
  }

  /** Python's truth value of a JSON value. */
  private static boolean truthy(JsonNode node) {
    if (isNone(node)) return false;
    if (node.isBoolean()) return node.booleanValue();
    if (node.isNumber()) return node.isIntegralNumber() ? node.bigIntegerValue().signum() != 0 : node.doubleValue() != 0.0;
    if (node.isTextual()) return !node.textValue().isEmpty();
    return node.size() > 0;
  }

  private static String id(JsonNode value, String name) throws Refused {
    String text;
    if (value != null && value.isTextual()) {
      text = value.textValue();
    } else if (value != null && value.isIntegralNumber()) {
      text = value.bigIntegerValue().toString();
    } else {
      throw refuse("wrong_type", name + " must be a string id");
    }
    int n = text.length();
    boolean ok = n > 0 && n <= 19;
    boolean nonZero = false;
    for (int i = 0; ok && i < n; i++) {
      char c = text.charAt(i);
      ok = c >= '0' && c <= '9';
      nonZero |= c != '0';
    }
    if (!ok || !nonZero) throw refuse("bad_id", name + "=" + pythonRepr(clipCodePoints(text, 40)));
    return text;
  }

  private String text(JsonNode value) throws Refused {
    if (value == null || !value.isTextual()) throw refuse("wrong_type", "text must be a string");
    String text = value.textValue();
    if (text.indexOf('\0') >= 0) throw refuse("control_characters", "NUL in text");
    boolean ascii = true;
    boolean unstable = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x80) continue;
      ascii = false;
      if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
        unstable |= nfcUnstable.get(Character.toCodePoint(c, text.charAt(++i)));
      } else if (Character.isSurrogate(c)) {
        throw refuse("control_characters", "lone surrogate in text");
      } else {
        unstable |= nfcUnstable.get(c);
      }
    }
    if (unstable) {
      // NFC may change the text (Java's and Python's Unicode versions may differ): exact
      // only where it cannot change the verdict or the hashtags.
      if (text.indexOf('#') >= 0 || text.codePointCount(0, text.length()) * 3 > maxTextChars) throw doubt();
      text = Normalizer.normalize(text, Normalizer.Form.NFC);
    }
    boolean blank = true;
    for (int i = 0; blank && i < text.length(); i += Character.charCount(text.codePointAt(i))) {
      blank = space.get(text.codePointAt(i));
    }
    if (blank) throw refuse("empty_text", "text is empty");
    int chars = ascii ? text.length() : text.codePointCount(0, text.length());
    if (chars > maxTextChars) throw refuse("oversized_text", chars + " chars > " + maxTextChars);
    return text;
  }

  private static void count(JsonNode value, String name) throws Refused {
    if (isNone(value)) return;
    if (!value.isIntegralNumber()) throw refuse("wrong_type", name + " must be an integer");
    if (value.bigIntegerValue().signum() < 0) throw refuse("bad_value", name + " is negative");
  }

  private static void metrics(JsonNode obj) throws Refused {
    if (isNone(obj)) return;
    if (!obj.isObject()) throw refuse("wrong_type", "public_metrics must be an object");
    JsonNode like = obj.get("like_count");
    counts(isNone(like) ? obj.get("favorite_count") : like, obj.get("retweet_count"), obj.get("reply_count"),
        obj.get("quote_count"));
  }

  /** schema._metrics' four counts, in its order (v1.1 passes its top-level fields). */
  private static void counts(JsonNode like, JsonNode retweet, JsonNode reply, JsonNode quote) throws Refused {
    count(like, "like_count");
    count(retweet, "retweet_count");
    count(reply, "reply_count");
    count(quote, "quote_count");
  }

  private static void lang(JsonNode value) throws Refused {
    if (isNone(value)) return;
    if (!value.isTextual() || value.textValue().codePointCount(0, value.textValue().length()) > 16) {
      throw refuse("wrong_type", "lang must be a short string");
    }
  }

  /** Entity lists: null when absent (hashtags then come from the text). */
  private static List<String> tags(JsonNode entities, String key, String field) throws Refused {
    if (entities == null || !entities.isObject() || !entities.has(key)) return null;
    JsonNode items = entities.get(key);
    if (!items.isArray()) throw refuse("wrong_type", "entities." + key + " must be a list");
    List<String> out = new ArrayList<>(items.size());
    for (JsonNode item : items) {
      JsonNode value = item.isObject() ? item.get(field) : item;
      if (value != null && value.isTextual() && !value.textValue().isEmpty()) out.add(value.textValue());
    }
    return out;
  }

  private List<String> normTags(List<String> tags, String text) {
    if (tags == null) return extractHashtags(text);
    Set<String> out = new LinkedHashSet<>();
    for (String tag : tags) {
      int start = 0;
      while (start < tag.length() && tag.charAt(start) == '#') start++;
      out.add(tag.substring(start).toLowerCase(Locale.ROOT));
    }
    return new ArrayList<>(out);
  }

  /** {@code (?<![\w&])#(\w{1,100})} with Python's {@code \w}, lower-cased, first occurrences. */
  List<String> extractHashtags(String text) {
    int hash = text.indexOf('#');
    if (hash < 0) return List.of();
    Set<String> out = new LinkedHashSet<>();
    int n = text.length();
    int i = hash;
    while (i >= 0 && i < n) {
      int before = i > 0 ? text.codePointBefore(i) : -1;
      int end = i + 1;
      if (before != '&' && (before < 0 || !word.get(before))) {
        int taken = 0;
        while (end < n && taken < 100) {
          int cp = text.codePointAt(end);
          if (!word.get(cp)) break;
          end += Character.charCount(cp);
          taken++;
        }
        if (taken > 0) out.add(text.substring(i + 1, end).toLowerCase(Locale.ROOT));
        else end = i + 1;
      }
      i = text.indexOf('#', end);
    }
    return new ArrayList<>(out);
  }

  // --- timestamps (schema.parse_time) -----------------------------------------------------

  private Instant time(JsonNode value) throws Refused {
    Instant parsed;
    if (value.isIntegralNumber()) {
      parsed = epochMillis(value);
    } else if (value.isTextual()) {
      parsed = timeString(value.textValue());
    } else if (value.isNumber()) {
      throw doubt(); // a float: fromtimestamp's rounding
    } else {
      throw refuse("bad_timestamp", "not a timestamp: " + clip(value.toString(), 40));
    }
    if (parsed == null || parsed.isBefore(earliest)
        || parsed.isAfter(Instant.now().plusSeconds(futureSlackS))) {
      throw refuse("bad_timestamp", "out of range: " + clip(value.toString(), 40));
    }
    return parsed;
  }

  private static Instant epochMillis(JsonNode value) {
    if (!value.canConvertToLong()) return null;
    long ms = value.longValue();
    if (Math.abs(ms) > 1L << 52) return null; // far out of range either way
    return Instant.ofEpochMilli(ms);
  }

  private static Instant timeString(String s) throws Refused {
    Matcher iso = ISO.matcher(s);
    Matcher v1 = V1.matcher(s);
    try {
      if (iso.matches()) return isoInstant(iso);
      if (v1.matches()) return v1Instant(v1);
    } catch (DateTimeException e) { // a day, hour or offset out of range: Python refuses too
      throw refuse("bad_timestamp", clip(s, 40) + ": " + clip(e.getMessage(), 100));
    }
    // fromisoformat (a leading digit) and strptime (a weekday name) accept more than the
    // strict forms above: Python decides. Anything else fails both.
    if (!s.isEmpty()) {
      char c = s.charAt(0);
      if (c >= 0x80 || (c >= '0' && c <= '9') || "mtwfsMTWFS".indexOf(c) >= 0) throw doubt();
    }
    throw refuse("bad_timestamp", "not a timestamp: " + pythonRepr(clip(s, 40)));
  }

  private static Instant isoInstant(Matcher iso) {
    int nanos = iso.group(7) == null ? 0 : Integer.parseInt((iso.group(7) + "000000").substring(0, 9));
    LocalDateTime local = LocalDateTime.of(num(iso, 1), num(iso, 2), num(iso, 3), num(iso, 4), num(iso, 5),
        num(iso, 6), nanos);
    String zone = iso.group(8);
    return local.toInstant(zone == null || zone.equals("Z") ? ZoneOffset.UTC : ZoneOffset.of(zone));
  }

  private static Instant v1Instant(Matcher v1) {
    int month = MONTHS.indexOf(v1.group(1)) / 3 + 1;
    int offsetMinutes = (num(v1, 7) * 60 + num(v1, 8)) * (v1.group(6).equals("-") ? -1 : 1);
    LocalDateTime local = LocalDateTime.of(num(v1, 9), month, num(v1, 2), num(v1, 3), num(v1, 4), num(v1, 5));
    return local.toInstant(ZoneOffset.ofTotalSeconds(offsetMinutes * 60));
  }

  private static int num(Matcher m, int group) {
    return Integer.parseInt(m.group(group));
  }

  // --- small helpers --------------------------------------------------------------------

  /** {@code str(x or "")} of a follow's tweet_id (doubtful where Python's repr would show). */
  private static String pythonStrOrEmpty(JsonNode value) throws Refused {
    if (!truthy(value)) return "";
    if (value.isTextual()) return value.textValue();
    if (value.isIntegralNumber()) return value.bigIntegerValue().toString();
    throw doubt();
  }

  private static String pythonType(JsonNode node) {
    if (node.isArray()) return "list";
    if (node.isTextual()) return "str";
    if (node.isBoolean()) return "bool";
    if (node.isIntegralNumber()) return "int";
    if (node.isNumber()) return "float";
    return "NoneType";
  }

  private static String pythonRepr(String s) {
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  private static String clip(String s, int chars) {
    return s == null ? "" : s.length() <= chars ? s : s.substring(0, chars);
  }

  private static String clipCodePoints(String s, int n) {
    return s.codePointCount(0, s.length()) <= n ? s : s.substring(0, s.offsetByCodePoints(0, n));
  }
}
