"""Network x hardware co-design: one space of network choices (depth, widths, weight and
activation bits) and hardware choices (family, array size or folding, precision support)
over one or more tasks, each network actually trained (:mod:`dse.codesign.spec`,
:mod:`dse.codesign.evaluate`), and the sequential baseline (:mod:`dse.codesign.search`)."""
