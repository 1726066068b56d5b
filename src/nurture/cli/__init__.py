"""The ``nurture`` command. One module per subcommand; heavy imports happen inside commands."""
