"""Campaigns and journeys: audience → holdout → offer → messages → report (seed 001 §6, §9)."""
