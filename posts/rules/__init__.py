"""What a post must satisfy and what helps it: compliance, each platform's
publishability, previews, posting slots and best times.
"""
