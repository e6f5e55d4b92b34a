from liveblog_cli.entry import main

main()
