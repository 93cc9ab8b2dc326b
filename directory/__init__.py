"""Directory: the city's organisation tree, employees, units, districts and absence notes."""
