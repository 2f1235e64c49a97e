"""The demo's stand-in for the internet: articles, realistic test pages, search and discussions."""
