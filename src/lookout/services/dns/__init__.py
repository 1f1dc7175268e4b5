"""DNS as DNSPod offers it: domains, records and D-Monitors, over Lookout's own tables.

The services know nothing of DNSPod's numbered codes: they raise `DnsRefused` with a reason
(a field name or a short word), and the DNSPod API turns each reason into the code its
action documents.
"""
