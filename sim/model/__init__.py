"""The model's parts, shared by every engine: arrivals, staffing and the fate of each lead."""
