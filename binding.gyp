{
  "targets": [{ "target_name": "parley_fastwrite", "sources": ["native/fastwrite.c"] }]
}
