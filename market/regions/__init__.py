"""Regions as data: China's administrative divisions and reading places from text."""
