"""v1 views: parse, call one service or selector, render plain DRF answers."""
