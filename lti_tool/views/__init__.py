"""HTTP views; each one only parses the request and delegates to publication, selectors or services."""
