# The workbench image: the Streamlit app, the CLI and the RQ worker share it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY requirements.txt constraints.txt ./
RUN pip install --no-cache-dir -r requirements.txt -c constraints.txt

COPY . .
RUN pip install --no-cache-dir --no-deps -e . && useradd --create-home workbench && chown -R workbench /app
USER workbench

EXPOSE 8501
CMD ["sh", "-c", "superinsight migrate && streamlit run serve.py --server.port 8501 --server.address 0.0.0.0"]
