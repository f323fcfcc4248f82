"""trendstream.quality"""
