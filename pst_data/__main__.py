from pst_data.cli import main

raise SystemExit(main())
