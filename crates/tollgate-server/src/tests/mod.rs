// tests added once the dialects land
