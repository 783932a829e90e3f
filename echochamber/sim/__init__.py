"""A generative model of a hashtag community with a known core (:mod:`~echochamber.sim.model`)
and the offline demo that runs the whole pipeline on it (:mod:`~echochamber.sim.demo`)."""
