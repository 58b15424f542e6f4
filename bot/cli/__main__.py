"""`python -m bot.cli`: the same as the installed `scic`."""

from bot.cli import main

main()
