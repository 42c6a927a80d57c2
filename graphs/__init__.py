"""The graphs that `langgraph.json` serves; they import only LangGraph/LangChain and each other."""
