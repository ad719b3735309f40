"""The Instagram client: classification, errors and the pooled async HTTP client."""
