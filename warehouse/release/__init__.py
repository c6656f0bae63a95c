"""Releases: disclosure control, its audit, the open and restricted bundles, publishing.

``rules`` declares what is protected and how much detail is published; ``cells`` turns
observations into quantities and the linear relations between them; ``patterns``,
``suppression`` and ``audit`` are pure functions over those;
``bundle`` writes the files; ``publish`` runs it all and switches ``releases/current``.
"""
