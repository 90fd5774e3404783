"""Writing a post: the editor's workflow (authoring.editor, the one entry point
for changing a post) and its form.
"""
