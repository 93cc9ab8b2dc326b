"""IVR: the FastAGI server, the AGI codec, and the flow interpreter that runs callers."""
