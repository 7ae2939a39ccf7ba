"""The merchant's web interface: static HTML, CSS and ES modules served by the API's own app."""
