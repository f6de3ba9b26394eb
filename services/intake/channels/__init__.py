"""The channels a report arrives by: the website and staff entry, QR codes, messaging apps."""
