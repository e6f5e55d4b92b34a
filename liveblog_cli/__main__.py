from liveblog_cli.cli.entry import main

main()
