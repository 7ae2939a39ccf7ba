"""The knowledge base: the articles ERO serves at /aide (one Markdown file per slug, French and
English), how they are read, rendered and searched, and where a remediation's link points."""
