"""trendstream.platform"""
