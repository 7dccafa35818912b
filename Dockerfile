# One image for the one-shot dbt build and the API (docker-compose.yml).
FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt pyproject.toml ./
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN pip install --no-cache-dir --no-deps -e .
ENV WAREHOUSE=postgres PORT=5000 HOST=0.0.0.0
EXPOSE 5000
CMD ["interactions", "serve"]
