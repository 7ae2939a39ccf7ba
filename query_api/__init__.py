"""Read side: the merchant's dashboard and reports, licence by licence."""
