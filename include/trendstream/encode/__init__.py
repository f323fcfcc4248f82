"""trendstream.encode"""
