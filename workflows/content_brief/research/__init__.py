"""Reading the web for a brief: the page itself, its keywords, search results, discussions."""
