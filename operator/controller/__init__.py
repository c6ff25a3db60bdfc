"""The MaturityAssessment controller (kopf).

``handlers`` holds the kopf decorators only; each one is a line into :mod:`.controller`, which
wires the pure decision logic (:mod:`.reconcile`, :mod:`.schedule`), the status builders
(:mod:`.status`), the manifest builders (:mod:`.resources`), the trusted source fetch
(:mod:`.sources`) and where the engine runs (:mod:`.executors`).
"""
