"""The demonstration: ``vanthu demo`` and the throwaway test PKI it (and the test suite) signs with.

Nothing here is used by a running deployment: :mod:`vanthu.demo.pki` makes keys that only the demo and the
tests trust, and :mod:`vanthu.demo.run` drives the worker once over a local mailbox.
"""
