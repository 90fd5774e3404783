"""Photos: cleaned uploads, their variants and signed URLs (media.photos), their
focal points and alt texts, and their pages.
"""
