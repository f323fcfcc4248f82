"""trendstream.trends"""
