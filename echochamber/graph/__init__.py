"""Pure graph building: aggregated rows -> networkx graphs, core rosters, conversation trees."""
