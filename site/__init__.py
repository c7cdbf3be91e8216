"""kb's static documentation site builder (installed as `kb_site`). The builder arrives with the site issue."""
