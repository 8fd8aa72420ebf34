// lifeline_ui sources land here.
