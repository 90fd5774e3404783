"""Approval: who is asked and when (requests), the doctor's e-mailed links
(links), and their decisions.
"""
