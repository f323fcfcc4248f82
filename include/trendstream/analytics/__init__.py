"""trendstream.analytics"""
