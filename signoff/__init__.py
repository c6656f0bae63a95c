"""Sign-off: heads of organizations certify their census-date data with a digital signature,
district heads countersign their district, the ministry the republic (docs/signoff.md).

``certificate`` makes the canonical data certificates, ``keys`` the signers and verifiers,
``store`` keeps keys, signatures and deadlines under ``$EMIS_HOME`` (never in a release),
``workflow`` says who may sign what and where each organization stands, ``release`` ships
the certificates, signatures and coverage in a release and verifies it offline.
"""
