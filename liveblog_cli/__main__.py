from liveblog_cli.cli import main

main()
