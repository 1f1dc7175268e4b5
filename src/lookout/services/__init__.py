"""Use cases shared by the Oh Dear API, the DNSPod API and the web UI."""
