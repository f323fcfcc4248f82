"""trendstream.vectorstore"""
