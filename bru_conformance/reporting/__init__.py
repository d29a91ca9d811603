"""What a run produces: the outcomes collected as it goes (`outcomes`), the results document and its
verdicts (`results`), the HTML, Markdown, JUnit and badge reports rendered from it (`reports`, with
`templates/`), Allure labels and attachments (`allure`) and the writer of Allure's result files
(`allure_files`), and waivers (`waivers`).

May import: model, catalogue, scenario
"""
