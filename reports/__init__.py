"""Reports: statistics and the per-district cost model, folded from the routing event stream."""
