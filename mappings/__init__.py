"""Mapping specs and the transform library: legacy notations → canonical values."""
