"""Vaxel on several machines: the topology (Kamailio, two Asterisk instances, two
controllers, Redis with AOF and three Sentinels, PostgreSQL), its configuration files,
and `vaxel cluster up|down|status` that runs all of it on one machine on loopback."""
