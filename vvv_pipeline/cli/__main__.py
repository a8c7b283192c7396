from vvv_pipeline.cli.commands import main

raise SystemExit(main())
