"""The DNSPod-compatible API: form POSTs at `/<Action>`, answers in DNSPod's envelope."""
