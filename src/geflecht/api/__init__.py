"""The versioned JSON API (/api/v1): one router per domain over the service functions."""
